create or replace table mart_seller_weekly as
with feedback as (
    select
        coalesce(seller_id, '(unknown)') as seller_id,
        cast(date_trunc('week', feedback_date) as date) as week,
        rating,
        arrived_on_time
    from seller_feedback
    where first_seen <= $night
),

reviews_by_seller as (
    select
        seller_id,
        cast(date_trunc('week', review_date) as date) as week,
        rating
    from reviews
    where first_seen <= $night and seller_id is not null
),

feedback_weekly as (
    select
        seller_id,
        week,
        count(*) as feedback_n,
        round(avg(rating), 3) as feedback_avg_rating,
        round(avg(case when rating >= 4 then 1.0 else 0.0 end), 4) as feedback_csat,
        round(avg(case when arrived_on_time = false then 1.0 when arrived_on_time then 0.0 end), 4) as late_share
    from feedback
    group by seller_id, week
),

reviews_weekly as (
    select
        seller_id,
        week,
        count(*) as review_n,
        round(avg(rating), 3) as review_avg_rating,
        round(avg(case when rating >= 4 then 1.0 else 0.0 end), 4) as review_csat
    from reviews_by_seller
    group by seller_id, week
),

joined as (
    select *
    from feedback_weekly
    full outer join reviews_weekly using (seller_id, week)
)

select * from joined
order by seller_id, week
