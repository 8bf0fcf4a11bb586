create or replace table mart_sentiment as
with latest_scores as (
    -- the score the report uses: the newest model's score of the record's current text
    select *
    from review_scores
    where scored_night <= $night
    qualify row_number() over (
        partition by kind, source, record_id, content_hash order by scored_night desc, model_version desc
    ) = 1
),

scored as (
    -- the records with a score of their current text
    select
        rated_records.kind,
        rated_records.product_id,
        rated_records.seller_id,
        rated_records.week,
        latest_scores.sentiment,
        latest_scores.stars_pred
    from rated_records
    inner join latest_scores
        on latest_scores.kind = rated_records.kind
        and latest_scores.source = rated_records.source
        and latest_scores.record_id = rated_records.record_id
        and latest_scores.content_hash = rated_records.content_hash
),

grouped as (
    select
        kind,
        case
            when grouping(product_id) = 0 then 'product'
            when grouping(seller_id) = 0 then 'seller'
            else 'all'
        end as grain,
        coalesce(product_id, seller_id, 'all') as key,
        week,
        count(*) as n,
        round(avg(case when sentiment = 'negative' then 1.0 else 0.0 end), 4) as negative_share,
        round(avg(case when sentiment = 'neutral' then 1.0 else 0.0 end), 4) as neutral_share,
        round(avg(case when sentiment = 'positive' then 1.0 else 0.0 end), 4) as positive_share,
        round(avg(stars_pred), 3) as avg_stars_pred
    from scored
    group by grouping sets (
        (kind, product_id), (kind, seller_id), (kind, product_id, week), (kind, seller_id, week), (kind, week)
    )
),

labelled as (
    select
        kind,
        grain,
        key,
        case when grain = 'product' then coalesce(product_titles.product_title, key) else key end as label,
        week,
        n,
        negative_share,
        neutral_share,
        positive_share,
        avg_stars_pred
    from grouped
    left join product_titles on grouped.grain = 'product' and product_titles.product_id = grouped.key
    where not (grain = 'product' and key = 'all')
)

select * from labelled
order by kind, grain, key, week nulls first
