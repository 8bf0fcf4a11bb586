-- changed: the stored row will be updated (merge_reviews.sql): an edit of its content (re-scored), or a
-- correction of the columns outside the content hash (not re-scored)
with staged as (
    select
        source, review_id, content_hash,
        (channel, product_title, category, seller_id, reviewer_key, verified_purchase, helpful_votes) as details
    from stg_reviews
),

existing as (
    select
        source, review_id, content_hash, last_seen,
        (channel, product_title, category, seller_id, reviewer_key, verified_purchase, helpful_votes) as details
    from reviews
),

compared as (
    select
        case
            when existing.review_id is null then 'new'
            when $night >= existing.last_seen and (
                existing.content_hash <> staged.content_hash or existing.details is distinct from staged.details
            ) then 'changed'
            else 'unchanged'
        end as change
    from staged
    left join existing using (source, review_id)
)

select
    count(*) filter (where change = 'new') as rows_new,
    count(*) filter (where change = 'changed') as rows_changed,
    count(*) filter (where change = 'unchanged') as rows_unchanged
from compared
