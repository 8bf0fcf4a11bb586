-- Every text the models read, one row per record: reviews, seller-feedback comments and survey comments
-- (title separate).
create or replace view record_texts as
with texts as (
    select
        'reviews' as kind,
        source,
        review_id as record_id,
        content_hash,
        title,
        text,
        language
    from reviews
    union all
    select
        'seller_feedback' as kind,
        source,
        feedback_id as record_id,
        content_hash,
        title,
        comment as text,
        language
    from seller_feedback
    where comment is not null
    union all
    select
        'survey_responses' as kind,
        source,
        response_id as record_id,
        content_hash,
        null as title,
        comment as text,
        language
    from survey_responses
    where comment is not null and trim(comment) <> ''
)

select * from texts
