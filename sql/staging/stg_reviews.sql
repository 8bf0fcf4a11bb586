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
        -- reviewer ids and emails are only ever stored as a salted hash
        substr(sha256($salt || chr(31) || lower(trim(cast(reviewer_id as varchar)))), 1, 32) as reviewer_key,
        cast(rating as tinyint) as rating,
        cast(title as varchar) as title,
        cast(text as varchar) as text,
        cast(language as varchar) as language,
        cast(review_date as date) as review_date,
        cast(verified_purchase as boolean) as verified_purchase,
        cast(helpful_votes as integer) as helpful_votes
    from source
),

hashed as (
    select
        *,
        -- an edit is any change to these columns
        substr(sha256(concat_ws(
            chr(31),
            coalesce(cast(product_id as varchar), ''),
            coalesce(cast(rating as varchar), ''),
            coalesce(cast(title as varchar), ''),
            coalesce(cast(text as varchar), ''),
            coalesce(cast(review_date as varchar), '')
        )), 1, 32) as content_hash
    from typed
)

select * from hashed
