create or replace table mart_sentiment as
with product_titles as (
    -- a product is named by its title wherever any source gives one
    select product_id, max(product_title) as product_title
    from reviews
    where first_seen <= $night
    group by product_id
),

latest_scores as (
    -- the score the report uses: the newest model's score of the record's current text
    select *
    from review_scores
    where scored_night <= $night
    qualify row_number() over (
        partition by kind, source, record_id, content_hash order by scored_night desc, model_version desc
    ) = 1
),

review_rows as (
    select
        'reviews' as kind,
        reviews.product_id,
        coalesce(reviews.seller_id, '(unknown)') as seller_id,
        cast(date_trunc('week', reviews.review_date) as date) as week,
        latest_scores.sentiment,
        latest_scores.stars_pred
    from reviews
    inner join latest_scores
        on latest_scores.kind = 'reviews'
        and latest_scores.source = reviews.source
        and latest_scores.record_id = reviews.review_id
        and latest_scores.content_hash = reviews.content_hash
    where reviews.first_seen <= $night
),

feedback_rows as (
    select
        'seller_feedback' as kind,
        cast(null as varchar) as product_id,
        coalesce(seller_feedback.seller_id, '(unknown)') as seller_id,
        cast(date_trunc('week', seller_feedback.feedback_date) as date) as week,
        latest_scores.sentiment,
        latest_scores.stars_pred
    from seller_feedback
    inner join latest_scores
        on latest_scores.kind = 'seller_feedback'
        and latest_scores.source = seller_feedback.source
        and latest_scores.record_id = seller_feedback.feedback_id
        and latest_scores.content_hash = seller_feedback.content_hash
    where seller_feedback.first_seen <= $night
),

scored as (
    select * from review_rows
    union all
    select * from feedback_rows
),

grouped as (
    select
        kind,
        case
            when grouping(product_id) = 0 then 'product'
            when grouping(seller_id) = 0 then 'seller'
            else 'all'
        end as grain,
        coalesce(product_id, seller_id, 'all') as key,
        week,
        count(*) as n,
        round(avg(case when sentiment = 'negative' then 1.0 else 0.0 end), 4) as negative_share,
        round(avg(case when sentiment = 'neutral' then 1.0 else 0.0 end), 4) as neutral_share,
        round(avg(case when sentiment = 'positive' then 1.0 else 0.0 end), 4) as positive_share,
        round(avg(stars_pred), 3) as avg_stars_pred
    from scored
    group by grouping sets (
        (kind, product_id), (kind, seller_id), (kind, product_id, week), (kind, seller_id, week), (kind, week)
    )
),

labelled as (
    select
        kind,
        grain,
        key,
        case when grain = 'product' then coalesce(product_titles.product_title, key) else key end as label,
        week,
        n,
        negative_share,
        neutral_share,
        positive_share,
        avg_stars_pred
    from grouped
    left join product_titles on grouped.grain = 'product' and product_titles.product_id = grouped.key
    where not (grain = 'product' and key = 'all')
)

select * from labelled
order by kind, grain, key, week nulls first
