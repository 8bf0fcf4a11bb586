create or replace table mart_rating_distribution as
with review_ratings as (
    select 'reviews' as kind, rating
    from reviews
    where first_seen <= $night
),

feedback_ratings as (
    select 'seller_feedback' as kind, rating
    from seller_feedback
    where first_seen <= $night
),

ratings as (
    select * from review_ratings
    union all
    select * from feedback_ratings
),

scale as (
    select kind, cast(star as tinyint) as rating
    from (values ('reviews'), ('seller_feedback')) as kinds (kind)
    cross join range(1, 6) as stars (star)
),

counted as (
    select kind, rating, count(*) as n
    from ratings
    group by kind, rating
),

distribution as (
    select
        scale.kind,
        scale.rating,
        coalesce(counted.n, 0) as n,
        coalesce(counted.n, 0) / nullif(sum(coalesce(counted.n, 0)) over (partition by scale.kind), 0) as share
    from scale
    left join counted using (kind, rating)
)

select * from distribution
order by kind, rating
