-- The customer journey by week, overall and per seller and channel: records that complain about any theme of
-- each stage (pre_purchase, purchase, post_purchase), their share of the week's records, and the CSAT and
-- average rating of those records next to the week's. Suspicious records are left out.
create or replace table mart_journey_stage as
with kept as (
    select record_slices.*
    from record_slices
    left join fake_latest using (kind, source, record_id)
    where record_slices.dimension in ('overall', 'seller', 'channel')
        and record_slices.first_seen <= $night
        and record_slices.day <= $night
        and not coalesce(fake_latest.suspicious, false)
),

raised as (
    select kind, source, record_id, unnest(themes) as theme
    from kept
    where dimension = 'overall'
),

record_stages as (
    select raised.kind, raised.source, raised.record_id, list(distinct theme_catalog.stage) as stages
    from raised
    join theme_catalog using (theme)
    group by raised.kind, raised.source, raised.record_id
),

sliced as (
    select
        kept.dimension,
        kept.dimension_value,
        kept.week,
        kept.rating,
        coalesce(record_stages.stages, []) as stages
    from kept
    left join record_stages using (kind, source, record_id)
),

stage_list as (
    select stage, min(position) as position
    from theme_catalog
    group by stage
),

per_stage as (
    select
        sliced.dimension,
        sliced.dimension_value,
        sliced.week,
        stage_list.stage,
        any_value(stage_list.position) as position,
        count(*) as records,
        count(*) filter (where list_contains(sliced.stages, stage_list.stage)) as records_with_stage,
        avg(case when sliced.rating >= 4 then 1.0 else 0.0 end) filter (where sliced.rating is not null)
            as csat,
        avg(case when sliced.rating >= 4 then 1.0 else 0.0 end)
            filter (where sliced.rating is not null and list_contains(sliced.stages, stage_list.stage))
            as csat_with_stage,
        avg(sliced.rating) filter (where list_contains(sliced.stages, stage_list.stage)) as avg_rating_with_stage
    from sliced
    cross join stage_list
    group by sliced.dimension, sliced.dimension_value, sliced.week, stage_list.stage
)

select
    dimension,
    dimension_value,
    week,
    stage,
    records,
    records_with_stage,
    round(records_with_stage / records, 4) as share,
    round(csat, 4) as csat,
    round(csat_with_stage, 4) as csat_with_stage,
    round(avg_rating_with_stage, 3) as avg_rating_with_stage
from per_stage
order by dimension, dimension_value, week, position
