merge into survey_responses as target
using (
    with staged as (
        select * from stg_survey_responses
    )
    select * from staged
) as staged
on target.source = staged.source and target.response_id = staged.response_id
when matched and target.content_hash <> staged.content_hash and $night >= target.last_seen then update set
    channel = staged.channel,
    nps = staged.nps,
    ces = staged.ces,
    csat = staged.csat,
    comment = staged.comment,
    language = staged.language,
    response_date = staged.response_date,
    content_hash = staged.content_hash,
    content_version = target.content_version + 1,
    needs_scoring = staged.comment is not null,
    last_seen = $night,
    ingest_run_id = $run_id
-- an older night's file (loaded late): the newer row stays, but the record was seen that night already
when matched then update set
    first_seen = least(target.first_seen, $night),
    last_seen = greatest(target.last_seen, $night)
when not matched then insert (
    response_id, source, channel, nps, ces, csat, comment, language, response_date, content_hash,
    content_version, needs_scoring, first_seen, last_seen, ingest_run_id
) values (
    staged.response_id, staged.source, staged.channel, staged.nps, staged.ces, staged.csat, staged.comment,
    staged.language, staged.response_date, staged.content_hash, 1, staged.comment is not null, $night, $night,
    $run_id
)
