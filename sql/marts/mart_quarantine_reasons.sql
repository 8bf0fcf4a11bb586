create or replace table mart_quarantine_reasons as
with rejected as (
    select kind, source, reason_code
    from quarantine
    where night <= $night
),

counted as (
    select kind, source, reason_code, count(*) as n
    from rejected
    group by kind, source, reason_code
)

select * from counted
order by n desc, kind, source, reason_code
