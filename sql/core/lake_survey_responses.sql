-- The survey_responses rows seen on a night (loaded new, edited, or seen again unchanged), for the lake export.
with seen as (
    select *
    from survey_responses
    where last_seen = $night
)

select *
from seen
order by ingest_run_id, 1
