create or replace table mart_ingest_quality as
with runs as (
    select night, kind, source, status, rows_read, rows_loaded, rows_quarantined
    from ingest_runs
    where night <= $night
),

by_source as (
    select
        kind,
        source,
        count(*) filter (where status = 'succeeded') as files_loaded,
        count(*) filter (where status = 'failed') as files_failed,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        max(night) as last_night
    from runs
    group by kind, source
)

select * from by_source
order by kind, source
