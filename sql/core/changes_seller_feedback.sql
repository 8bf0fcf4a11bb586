with staged as (
    select source, feedback_id, content_hash from stg_seller_feedback
),

existing as (
    select source, feedback_id, content_hash, last_seen from seller_feedback
),

compared as (
    select
        case
            when existing.feedback_id is null then 'new'
            when existing.content_hash <> staged.content_hash and $night >= existing.last_seen then 'changed'
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
