-- The rows quarantined on a night, with their reasons, for the lake export.
with quarantined as (
    select *
    from quarantine
    where night = $night
)

select *
from quarantined
order by run_id, record_no
