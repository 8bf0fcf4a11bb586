-- Complaint themes by week, overall and per seller, category, channel and product: how many records raise
-- each theme, out of how many records that week (every theme listed, zeros included, so trends are exact).
-- Suspicious records (fake_latest.suspicious) are left out: a fake-review ring must not fake a trend.
create or replace table mart_theme_counts as
with sliced as (
    select record_slices.*
    from record_slices
    left join fake_latest using (kind, source, record_id)
    where record_slices.first_seen <= $night
        and record_slices.day <= $night
        and not coalesce(fake_latest.suspicious, false)
),

totals as (
    select dimension, dimension_value, week, count(*) as records
    from sliced
    group by dimension, dimension_value, week
),

raised as (
    select dimension, dimension_value, week, unnest(themes) as theme
    from sliced
),

counts as (
    select dimension, dimension_value, week, theme, count(*) as records_with_theme
    from raised
    group by dimension, dimension_value, week, theme
),

grid as (
    select
        totals.dimension,
        totals.dimension_value,
        totals.week,
        theme_catalog.theme,
        theme_catalog.stage,
        coalesce(counts.records_with_theme, 0) as records_with_theme,
        totals.records
    from totals
    cross join theme_catalog
    left join counts
        on counts.dimension = totals.dimension
        and counts.dimension_value = totals.dimension_value
        and counts.week = totals.week
        and counts.theme = theme_catalog.theme
)

select
    *,
    round(records_with_theme / records, 4) as share
from grid
order by dimension, dimension_value, week, theme
