-- Rising complaint themes: each theme's share of records in the night's week against the four weeks before,
-- overall and per seller, category, channel and product. `expected` is this week's record count times the
-- earlier share (smoothed: +0.5 mentions, +1 record, so a theme never seen before is not infinitely new);
-- `excess` is the extra records raising the theme and `z` its Poisson z-score. A theme is rising with at
-- least 3 records this week and z >= 2; `rank` orders each slice's themes by excess.
create or replace table mart_theme_trends as
with current_week as (
    select cast(date_trunc('week', cast($night as date)) as date) as week
),

now as (
    select mart_theme_counts.*
    from mart_theme_counts
    join current_week using (week)
),

before as (
    select
        dimension,
        dimension_value,
        theme,
        sum(records_with_theme) as records_with_theme,
        sum(records) as records,
        count(*) as weeks
    from mart_theme_counts, current_week
    where mart_theme_counts.week < current_week.week
        and mart_theme_counts.week >= current_week.week - interval 28 days
    group by dimension, dimension_value, theme
),

scored as (
    select
        now.dimension,
        now.dimension_value,
        now.theme,
        now.stage,
        now.week,
        now.records_with_theme as mentions_now,
        now.records as records_now,
        now.share as share_now,
        coalesce(before.records_with_theme, 0) as mentions_before,
        coalesce(before.records, 0) as records_before,
        coalesce(before.weeks, 0) as weeks_before,
        round(before.records_with_theme / nullif(before.records, 0), 4) as share_before,
        now.records * (coalesce(before.records_with_theme, 0) + 0.5) / (coalesce(before.records, 0) + 1)
            as expected
    from now
    left join before using (dimension, dimension_value, theme)
),

flagged as (
    select
        *,
        round(mentions_now - expected, 3) as excess,
        round((mentions_now - expected) / sqrt(greatest(expected, 0.5)), 3) as z,
        mentions_now >= 3 and (mentions_now - expected) / sqrt(greatest(expected, 0.5)) >= 2 as rising
    from scored
)

select
    dimension,
    dimension_value,
    theme,
    stage,
    week,
    mentions_now,
    records_now,
    share_now,
    mentions_before,
    records_before,
    weeks_before,
    share_before,
    round(expected, 3) as expected,
    excess,
    z,
    rising,
    row_number() over (partition by dimension, dimension_value order by excess desc, theme) as rank
from flagged
order by dimension, dimension_value, rank
