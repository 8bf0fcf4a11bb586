-- Every rated record (review, seller feedback, survey response) with the dimensions reports slice by and its
-- rating on 1-5 (a survey's CSAT answer). Theme marts join their sentences through (kind, source, record_id,
-- content_hash), so only each record's current text counts.
create or replace view record_dimensions as
with review_rows as (
    select
        'reviews' as kind,
        source,
        review_id as record_id,
        content_hash,
        review_date as day,
        coalesce(seller_id, '(unknown)') as seller_id,
        product_id,
        product_title,
        coalesce(category, '(unknown)') as category,
        coalesce(channel, '(unknown)') as channel,
        language,
        cast(rating as integer) as rating,
        first_seen
    from reviews
),

feedback_rows as (
    select
        'seller_feedback' as kind,
        source,
        feedback_id as record_id,
        content_hash,
        feedback_date as day,
        coalesce(seller_id, '(unknown)') as seller_id,
        cast(null as varchar) as product_id,
        cast(null as varchar) as product_title,
        cast(null as varchar) as category,
        coalesce(channel, '(unknown)') as channel,
        language,
        cast(rating as integer) as rating,
        first_seen
    from seller_feedback
),

survey_rows as (
    select
        'survey_responses' as kind,
        source,
        response_id as record_id,
        content_hash,
        response_date as day,
        cast(null as varchar) as seller_id,
        cast(null as varchar) as product_id,
        cast(null as varchar) as product_title,
        cast(null as varchar) as category,
        coalesce(channel, '(unknown)') as channel,
        language,
        cast(csat as integer) as rating,
        first_seen
    from survey_responses
)

select * from review_rows
union all
select * from feedback_rows
union all
select * from survey_rows
