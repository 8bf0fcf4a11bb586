-- the reviews keyword mining reads for a night: written in the current period ($period_start .. $night)
-- or the previous one ($previous_start .. the day before $period_start), loaded by the night, in
-- en/es/pt; with the latest fake score as of the night (temp table fake_latest; never scored counts as
-- trusted) and a polarity: the rating's (+1 for 4-5 stars, 0 for 3, -1 for 1-2) averaged with the
-- newest sentiment score of the current text (p_positive - p_negative) where there is one
with latest_scores as (
    select
        source,
        record_id,
        content_hash,
        language,
        p_positive - p_negative as sentiment_polarity
    from review_scores
    where kind = 'reviews' and scored_night <= $night
    qualify row_number() over (
        partition by kind, source, record_id, content_hash order by scored_night desc, model_version desc
    ) = 1
),

windowed as (
    select
        reviews.source,
        reviews.review_id,
        reviews.product_id,
        reviews.category,
        coalesce(reviews.reviewer_key, 'review:' || reviews.source || ':' || reviews.review_id) as reviewer,
        reviews.rating,
        coalesce(reviews.title, '') as title,
        reviews.text,
        coalesce(reviews.language, latest_scores.language) as language,
        reviews.review_date >= $period_start as is_current,
        case when reviews.rating >= 4 then 1.0 when reviews.rating <= 2 then -1.0 else 0.0 end
            as rating_polarity,
        latest_scores.sentiment_polarity
    from reviews
    left join latest_scores
        on latest_scores.source = reviews.source
        and latest_scores.record_id = reviews.review_id
        and latest_scores.content_hash = reviews.content_hash
    where reviews.first_seen <= $night and reviews.review_date between $previous_start and $night
),

trusted as (
    select
        windowed.*,
        coalesce(fake_latest.fake_probability, 0.0) as fake_probability,
        coalesce(fake_latest.suspicious, false) as suspicious,
        (windowed.rating_polarity + coalesce(windowed.sentiment_polarity, windowed.rating_polarity)) / 2
            as polarity
    from windowed
    left join fake_latest
        on fake_latest.kind = 'reviews'
        and fake_latest.source = windowed.source
        and fake_latest.record_id = windowed.review_id
    where windowed.language in ('en', 'es', 'pt')
)

select * from trusted
order by language, source, review_id
