-- changed: the stored row will be updated (merge_seller_feedback.sql): an edit of its content
-- (re-scored), or a correction of the columns outside the content hash (not re-scored)
with staged as (
    select source, feedback_id, content_hash, (channel, seller_id, order_id, reviewer_key) as details
    from stg_seller_feedback
),

existing as (
    select source, feedback_id, content_hash, last_seen, (channel, seller_id, order_id, reviewer_key) as details
    from seller_feedback
),

compared as (
    select
        case
            when existing.feedback_id is null then 'new'
            when $night >= existing.last_seen and (
                existing.content_hash <> staged.content_hash or existing.details is distinct from staged.details
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
