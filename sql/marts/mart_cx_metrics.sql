-- Customer-experience metrics per week, long format: one row per (dimension, dimension_value, week), where
-- dimension is product, category, seller, channel or overall (dimension_value 'all'); week is the Monday of
-- the week the review, feedback or survey response was written; only records first seen by $night count.
--
-- From ratings (1-5 stars): product reviews in every dimension, seller feedback in seller, channel and
-- overall (it has no product or category):
--   n, review_n, feedback_n   rated records, and how many are reviews and seller feedback
--   avg_rating                mean stars
--   csat                      share of ratings of 4 or 5 (0-1)
--   avg_rating_trusted        each rating weighted by its trust (core/rated_records, as mart_csat)
--   csat_trusted              the same weights on the 4-5 share
-- From survey responses (channel and overall only; every answer is optional, so each has its own count):
--   survey_n                  responses
--   nps_n, promoters, passives, detractors
--                             NPS answers (0-10): promoters 9-10, passives 7-8, detractors 0-6
--   nps                       100 * (promoters - detractors) / nps_n, from -100 to 100
--   ces_n, ces_mean           CES answers and their mean (1-7; lower means less effort)
--   survey_csat_n, survey_csat
--                             CSAT answers (1-5) and the share of 4 or 5 (0-1)
-- Counts are 0 and metrics null where a week has no data of that kind. Journey stage and theme impact on
-- CSAT live in the theme marts.
create or replace table mart_cx_metrics as
with rated_by_dimension as (
    select
        'product' as dimension,
        coalesce(product_id, '(unknown)') as dimension_value,
        week,
        kind,
        rating,
        trust
    from rated_records
    where kind = 'reviews'
    union all
    select 'category', coalesce(category, '(unknown)'), week, kind, rating, trust
    from rated_records
    where kind = 'reviews'
    union all
    select 'seller', seller_id, week, kind, rating, trust from rated_records
    union all
    select 'channel', channel, week, kind, rating, trust from rated_records
    union all
    select 'overall', 'all', week, kind, rating, trust from rated_records
),

rating_metrics as (
    select
        dimension,
        dimension_value,
        week,
        count(*) as n,
        count(*) filter (where kind = 'reviews') as review_n,
        count(*) filter (where kind = 'seller_feedback') as feedback_n,
        round(avg(rating), 3) as avg_rating,
        round(avg(case when rating >= 4 then 1.0 else 0.0 end), 4) as csat,
        round(sum(rating * trust) / nullif(sum(trust), 0), 3) as avg_rating_trusted,
        round(sum(case when rating >= 4 then trust else 0.0 end) / nullif(sum(trust), 0), 4) as csat_trusted
    from rated_by_dimension
    group by dimension, dimension_value, week
),

survey_rows as (
    select
        coalesce(channel, '(unknown)') as channel,
        cast(date_trunc('week', response_date) as date) as week,
        nps as nps_answer,
        ces as ces_answer,
        csat as csat_answer
    from survey_responses
    where first_seen <= $night
),

surveys_by_dimension as (
    select 'channel' as dimension, channel as dimension_value, week, nps_answer, ces_answer, csat_answer
    from survey_rows
    union all
    select 'overall', 'all', week, nps_answer, ces_answer, csat_answer from survey_rows
),

survey_metrics as (
    select
        dimension,
        dimension_value,
        week,
        count(*) as survey_n,
        count(nps_answer) as nps_n,
        count(*) filter (where nps_answer >= 9) as promoters,
        count(*) filter (where nps_answer between 7 and 8) as passives,
        count(*) filter (where nps_answer <= 6) as detractors,
        round(
            100.0 * (count(*) filter (where nps_answer >= 9) - count(*) filter (where nps_answer <= 6))
            / nullif(count(nps_answer), 0),
            1
        ) as nps,
        count(ces_answer) as ces_n,
        round(avg(ces_answer), 3) as ces_mean,
        count(csat_answer) as survey_csat_n,
        round(avg(case when csat_answer >= 4 then 1.0 when csat_answer is not null then 0.0 end), 4)
            as survey_csat
    from surveys_by_dimension
    group by dimension, dimension_value, week
),

joined as (
    select
        dimension,
        dimension_value,
        case
            when dimension = 'product' then coalesce(product_titles.product_title, dimension_value)
            else dimension_value
        end as label,
        week,
        coalesce(rating_metrics.n, 0) as n,
        coalesce(rating_metrics.review_n, 0) as review_n,
        coalesce(rating_metrics.feedback_n, 0) as feedback_n,
        rating_metrics.avg_rating,
        rating_metrics.csat,
        rating_metrics.avg_rating_trusted,
        rating_metrics.csat_trusted,
        coalesce(survey_metrics.survey_n, 0) as survey_n,
        coalesce(survey_metrics.nps_n, 0) as nps_n,
        coalesce(survey_metrics.promoters, 0) as promoters,
        coalesce(survey_metrics.passives, 0) as passives,
        coalesce(survey_metrics.detractors, 0) as detractors,
        survey_metrics.nps,
        coalesce(survey_metrics.ces_n, 0) as ces_n,
        survey_metrics.ces_mean,
        coalesce(survey_metrics.survey_csat_n, 0) as survey_csat_n,
        survey_metrics.survey_csat
    from rating_metrics
    full outer join survey_metrics using (dimension, dimension_value, week)
    left join product_titles
        on dimension = 'product' and product_titles.product_id = dimension_value
)

select * from joined
order by dimension, dimension_value, week
