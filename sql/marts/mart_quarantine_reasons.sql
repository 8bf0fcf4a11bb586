create or replace table mart_quarantine_reasons as
with rejected as (
    select
        kind,
        source,
        reason_code,
        raw_record,
        -- the second identical record of one file is a record of its own
        row_number() over (partition by run_id, raw_record order by record_no) as copy_no
    from quarantine
    where night <= $night
),

counted as (
    select
        kind,
        source,
        reason_code,
        -- a record that a later export of the same rows repeats counts once
        count(distinct (raw_record, copy_no)) as n,
        count(*) as rejections
    from rejected
    group by kind, source, reason_code
)

select * from counted
order by n desc, kind, source, reason_code
