-- each record's latest fake score as of $night (the score the marts and the report use), for this
-- connection only; records never scored count as fully trusted (fake_probability 0)
create or replace temp table fake_latest as
with ranked as (
    select
        kind,
        source,
        record_id,
        fake_probability,
        suspicious,
        fake_reasons
    from fake_scores
    where scored_night <= $night
    qualify row_number() over (partition by kind, source, record_id order by scored_night desc) = 1
)

select * from ranked
