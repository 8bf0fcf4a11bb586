with staged as (
    select source, response_id, content_hash from stg_survey_responses
),

existing as (
    select source, response_id, content_hash, last_seen from survey_responses
),

compared as (
    select
        case
            when existing.response_id is null then 'new'
            when existing.content_hash <> staged.content_hash and $night >= existing.last_seen then 'changed'
            else 'unchanged'
        end as change
    from staged
    left join existing using (source, response_id)
)

select
    count(*) filter (where change = 'new') as rows_new,
    count(*) filter (where change = 'changed') as rows_changed,
    count(*) filter (where change = 'unchanged') as rows_unchanged
from compared
