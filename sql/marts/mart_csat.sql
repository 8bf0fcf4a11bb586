create or replace table mart_csat as
with grouped as (
    select
        kind,
        case
            when grouping(product_id) = 0 then 'product'
            when grouping(seller_id) = 0 then 'seller'
            when grouping(channel) = 0 then 'channel'
            else 'week'
        end as grain,
        coalesce(product_id, seller_id, channel, strftime(week, '%Y-%m-%d')) as key,
        count(*) as n,
        round(avg(rating), 3) as avg_rating,
        round(avg(case when rating >= 4 then 1.0 else 0.0 end), 4) as csat,
        -- trust-weighted: each rating counts (1 - its fake_probability)
        round(sum(rating * trust) / nullif(sum(trust), 0), 3) as avg_rating_trusted,
        round(sum(case when rating >= 4 then trust else 0.0 end) / nullif(sum(trust), 0), 4) as csat_trusted
    from rated_records
    group by grouping sets ((kind, product_id), (kind, seller_id), (kind, channel), (kind, week))
),

kept as (
    select
        kind,
        grain,
        key,
        case when grain = 'product' then coalesce(product_titles.product_title, key) else key end as label,
        n,
        avg_rating,
        csat,
        avg_rating_trusted,
        csat_trusted
    from grouped
    left join product_titles on grouped.grain = 'product' and product_titles.product_id = grouped.key
    where key is not null
)

select * from kept
order by kind, grain, key
