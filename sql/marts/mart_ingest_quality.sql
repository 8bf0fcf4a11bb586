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
        cast(sum(rows_read) as bigint) as rows_read,
        cast(sum(rows_loaded) as bigint) as rows_loaded,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined,
        max(night) as last_night
    from runs
    group by kind, source
)

select * from by_source
order by kind, source
