-- every review and seller-feedback record first seen by $night with its rating, content hash and latest
-- fake score (fake_latest; never scored: fake_probability 0, trust 1), for this connection only: what the
-- CSAT, CX, sentiment and trust marts aggregate. trust = 1 - fake_probability weighs ratings;
-- top_reason_text is the first (largest) reason of the record's fake_reasons without its contribution
-- "(+0.42)", and top_reason the same with its own numbers as "n" ("one of n reviews of this product within
-- a few days"), so reasons can be counted. product_id and category are null for seller feedback (and where
-- a review has none); seller and channel are '(unknown)' where missing.
create or replace temp table rated_records as
with review_rows as (
    select
        'reviews' as kind,
        product_id,
        category,
        seller_id,
        channel,
        review_date as posted_on,
        rating,
        source,
        review_id as record_id,
        content_hash
    from reviews
    where first_seen <= $night
),

feedback_rows as (
    select
        'seller_feedback' as kind,
        cast(null as varchar) as product_id,
        cast(null as varchar) as category,
        seller_id,
        channel,
        feedback_date as posted_on,
        rating,
        source,
        feedback_id as record_id,
        content_hash
    from seller_feedback
    where first_seen <= $night
),

rated as (
    select * from review_rows
    union all
    select * from feedback_rows
)

select
    rated.kind,
    rated.source,
    rated.record_id,
    rated.content_hash,
    rated.product_id,
    rated.category,
    coalesce(rated.seller_id, '(unknown)') as seller_id,
    coalesce(rated.channel, '(unknown)') as channel,
    cast(date_trunc('week', rated.posted_on) as date) as week,
    rated.rating,
    coalesce(fake_latest.fake_probability, 0.0) as fake_probability,
    1 - coalesce(fake_latest.fake_probability, 0.0) as trust,
    coalesce(fake_latest.suspicious, false) as suspicious,
    regexp_replace(
        split_part(fake_latest.fake_reasons, '; ', 1), ' \([+-]?[0-9.]+\)$', ''
    ) as top_reason_text,
    regexp_replace(top_reason_text, '[0-9]+(\.[0-9]+)?', 'n', 'g') as top_reason
from rated
left join fake_latest using (kind, source, record_id)
