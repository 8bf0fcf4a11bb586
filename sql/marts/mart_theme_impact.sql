-- Theme impact on CSAT over the 28 days up to the night: CSAT (share of 4-5 on 1-5; a survey's CSAT answer)
-- of all rated records, and what it would be without the records that raise each theme. `impact_pp` is that
-- change in percentage points (positive: the theme costs that much CSAT). Overall and per seller, category,
-- channel and product; suspicious records are left out.
create or replace table mart_theme_impact as
with sliced as (
    select record_slices.*
    from record_slices
    left join fake_latest using (kind, source, record_id)
    where record_slices.first_seen <= $night
        and record_slices.day <= $night
        and record_slices.day > cast($night as date) - interval 28 days
        and record_slices.rating is not null
        and not coalesce(fake_latest.suspicious, false)
),

per_theme as (
    select
        sliced.dimension,
        sliced.dimension_value,
        theme_catalog.theme,
        theme_catalog.stage,
        count(*) as records,
        avg(case when sliced.rating >= 4 then 1.0 else 0.0 end) as csat,
        count(*) filter (where list_contains(sliced.themes, theme_catalog.theme)) as records_with_theme,
        avg(case when sliced.rating >= 4 then 1.0 else 0.0 end)
            filter (where list_contains(sliced.themes, theme_catalog.theme)) as csat_with_theme,
        avg(case when sliced.rating >= 4 then 1.0 else 0.0 end)
            filter (where not list_contains(sliced.themes, theme_catalog.theme)) as csat_without_theme
    from sliced
    cross join theme_catalog
    group by sliced.dimension, sliced.dimension_value, theme_catalog.theme, theme_catalog.stage
)

select
    dimension,
    dimension_value,
    theme,
    stage,
    records,
    records_with_theme,
    round(csat, 4) as csat,
    round(csat_with_theme, 4) as csat_with_theme,
    round(csat_without_theme, 4) as csat_without_theme,
    round(100 * (csat_without_theme - csat), 2) as impact_pp
from per_theme
order by dimension, dimension_value, impact_pp desc nulls last
