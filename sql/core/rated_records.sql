-- every rated review and seller-feedback record first seen by $night, with its trust weight (1 - its
-- latest fake_probability, from fake_latest), for this connection only: what mart_csat and
-- mart_cx_metrics aggregate; product_id and category are null for seller feedback (and where a review
-- has none), seller and channel are '(unknown)' where missing
create or replace temp table rated_records as
with review_rows as (
    select
        'reviews' as kind,
        reviews.product_id,
        reviews.category,
        coalesce(reviews.seller_id, '(unknown)') as seller_id,
        coalesce(reviews.channel, '(unknown)') as channel,
        cast(date_trunc('week', reviews.review_date) as date) as week,
        reviews.rating,
        1 - coalesce(fake_latest.fake_probability, 0.0) as trust
    from reviews
    left join fake_latest
        on fake_latest.kind = 'reviews'
        and fake_latest.source = reviews.source
        and fake_latest.record_id = reviews.review_id
    where reviews.first_seen <= $night
),

feedback_rows as (
    select
        'seller_feedback' as kind,
        cast(null as varchar) as product_id,
        cast(null as varchar) as category,
        coalesce(seller_feedback.seller_id, '(unknown)') as seller_id,
        coalesce(seller_feedback.channel, '(unknown)') as channel,
        cast(date_trunc('week', seller_feedback.feedback_date) as date) as week,
        seller_feedback.rating,
        1 - coalesce(fake_latest.fake_probability, 0.0) as trust
    from seller_feedback
    left join fake_latest
        on fake_latest.kind = 'seller_feedback'
        and fake_latest.source = seller_feedback.source
        and fake_latest.record_id = seller_feedback.feedback_id
    where seller_feedback.first_seen <= $night
)

select * from review_rows
union all
select * from feedback_rows
