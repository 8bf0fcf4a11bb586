-- every review and seller feedback known on $night, in the one shape the fake signals read:
-- target = the product (reviews) or the seller (feedback); text detectors from the current model version
create or replace temp table opinions as
with review_rows as (
    select
        'reviews' as kind,
        source,
        review_id as record_id,
        content_hash,
        product_id as target_id,
        reviewer_key,
        rating,
        review_date as posted_on,
        verified_purchase as verified,
        coalesce(title || '. ', '') || text as text
    from reviews
    where first_seen <= $night
),

feedback_rows as (
    select
        'seller_feedback' as kind,
        source,
        feedback_id as record_id,
        content_hash,
        seller_id as target_id,
        reviewer_key,
        rating,
        feedback_date as posted_on,
        cast(null as boolean) as verified,
        coalesce(title || '. ', '') || coalesce(comment, '') as text
    from seller_feedback
    where first_seen <= $night
),

unioned as (
    select * from review_rows
    union all
    select * from feedback_rows
),

text_scores as (
    select kind, source, record_id, content_hash, p_deceptive, p_generated
    from review_scores
    where model_version = $model_version
)

select
    unioned.kind,
    unioned.source,
    unioned.record_id,
    unioned.content_hash,
    unioned.target_id,
    unioned.reviewer_key,
    unioned.rating,
    unioned.posted_on,
    unioned.verified,
    unioned.text,
    text_scores.p_deceptive,
    text_scores.p_generated
from unioned
left join text_scores using (kind, source, record_id, content_hash)
