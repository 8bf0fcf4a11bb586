-- changed: the stored row will be updated (merge_reviews.sql): an edit of its content (re-scored), or a
-- correction of the columns outside the content hash (not re-scored; a value the file lacks is no change)
with staged as (
    select * from stg_reviews
),

existing as (
    select * from reviews
),

compared as (
    select
        case
            when existing.review_id is null then 'new'
            when $night >= existing.last_seen and (
                existing.content_hash <> staged.content_hash
                -- the same columns as in merge_reviews.sql
                or (
                    coalesce(staged.channel, existing.channel),
                    coalesce(staged.product_title, existing.product_title),
                    coalesce(staged.category, existing.category),
                    coalesce(staged.seller_id, existing.seller_id),
                    coalesce(staged.reviewer_key, existing.reviewer_key),
                    coalesce(staged.verified_purchase, existing.verified_purchase),
                    coalesce(staged.helpful_votes, existing.helpful_votes)
                ) is distinct from (
                    existing.channel, existing.product_title, existing.category, existing.seller_id,
                    existing.reviewer_key, existing.verified_purchase, existing.helpful_votes
                )
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
