-- changed: the stored row will be updated (merge_seller_feedback.sql): an edit of its content
-- (re-scored), or a correction of the columns outside the content hash (not re-scored; a value the file
-- lacks is no change)
with staged as (
    select * from stg_seller_feedback
),

existing as (
    select * from seller_feedback
),

compared as (
    select
        case
            when existing.feedback_id is null then 'new'
            when $night >= existing.last_seen and (
                existing.content_hash <> staged.content_hash
                -- the same columns as in merge_seller_feedback.sql
                or (
                    coalesce(staged.channel, existing.channel), coalesce(staged.seller_id, existing.seller_id),
                    coalesce(staged.order_id, existing.order_id),
                    coalesce(staged.reviewer_key, existing.reviewer_key)
                ) is distinct from (existing.channel, existing.seller_id, existing.order_id, existing.reviewer_key)
            ) then 'changed'
            else 'unchanged'
        end as change
    from staged
    left join existing using (source, feedback_id)
)

select
    count(*) filter (where change = 'new') as rows_new,
    count(*) filter (where change = 'changed') as rows_changed,
    count(*) filter (where change = 'unchanged') as rows_unchanged
from compared
