-- The taxonomy as the last theme run read it (themes a user removed disappear from reports too).
create or replace table theme_catalog as
with taxonomy as (
    select * from batch_theme_catalog
)

select
    cast(theme as varchar) as theme,
    cast(stage as varchar) as stage,
    cast(description as varchar) as description,
    cast(position as integer) as position,
    cast(taxonomy_version as varchar) as taxonomy_version
from taxonomy
