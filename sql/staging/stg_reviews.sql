with source as (
    select * from batch_reviews
),

typed as (
    select
        cast(review_id as varchar) as review_id,
        cast(source as varchar) as source,
        cast(channel as varchar) as channel,
        cast(product_id as varchar) as product_id,
        cast(product_title as varchar) as product_title,
        cast(category as varchar) as category,
        cast(seller_id as varchar) as seller_id,
        cast(reviewer_key as varchar) as reviewer_key,
        cast(rating as tinyint) as rating,
        cast(title as varchar) as title,
        cast(text as varchar) as text,
        cast(language as varchar) as language,
        cast(review_date as date) as review_date,
        cast(verified_purchase as boolean) as verified_purchase,
        cast(helpful_votes as integer) as helpful_votes,
        cast(content_hash as varchar) as content_hash
    from source
)

select * from typed
