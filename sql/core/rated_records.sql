-- every review and seller-feedback record first seen by $night with its rating, content hash and latest
-- fake score (fake_latest; never scored: fake_probability 0, trust 1), for this connection only: what the
-- CSAT, CX, sentiment and trust marts aggregate. trust = 1 - fake_probability weighs ratings; top_reason
-- is the first (largest) reason of the record's fake_reasons without its contribution "(+0.42)" and with
-- its own numbers as "n" ("one of n reviews of this product within a few days"), so reasons can be
-- counted. product_id and category are null for seller feedback (and where a review has none); seller
-- and channel are '(unknown)' where missing.
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
        reviews.source,
        reviews.review_id as record_id,
        reviews.content_hash,
        fake_latest.fake_probability,
        fake_latest.suspicious,
        fake_latest.fake_reasons
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
        seller_feedback.source,
        seller_feedback.feedback_id as record_id,
        seller_feedback.content_hash,
        fake_latest.fake_probability,
        fake_latest.suspicious,
        fake_latest.fake_reasons
    from seller_feedback
    left join fake_latest
        on fake_latest.kind = 'seller_feedback'
        and fake_latest.source = seller_feedback.source
        and fake_latest.record_id = seller_feedback.feedback_id
    where seller_feedback.first_seen <= $night
),

rated as (
    select * from review_rows
    union all
    select * from feedback_rows
)

select
    kind,
    source,
    record_id,
    content_hash,
    product_id,
    category,
    seller_id,
    channel,
    week,
    rating,
    coalesce(fake_probability, 0.0) as fake_probability,
    1 - coalesce(fake_probability, 0.0) as trust,
    coalesce(suspicious, false) as suspicious,
    regexp_replace(
        regexp_replace(split_part(fake_reasons, '; ', 1), ' \([+-]?[0-9.]+\)$', ''),
        '[0-9]+(\.[0-9]+)?', 'n', 'g'
    ) as top_reason
from rated
