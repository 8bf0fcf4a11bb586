-- Negative sentences no taxonomy theme covers, from texts dated in the $days days up to the night: where new
-- problems show up. Negative here is what the sentence head leans negative on (p_negative > p_positive:
-- called negative, or neutral but leaning negative; pipeline.themes.emerging.leans_negative says why).
-- Ids are stable across nights (a sentence is its record, content and position). Records rated above
-- $max_rating (a 4-5 star review or a CSAT answer of 4-5) are left out: their "negative" sentences without
-- a theme are mostly praise the sentence sentiment head misread ("Repetiré con esta tienda.", "Arrived in
-- just 2 days, faster than promised."). Unrated records stay in. Generic verdicts ("Disappointed.") are
-- left out later, by pipeline.themes.emerging.discover (its stopword lists live in Python).
with sentences as (
    select
        review_sentences.kind || ':' || review_sentences.source || ':' || review_sentences.record_id || ':'
            || review_sentences.content_hash || ':' || review_sentences.sentence_index as sentence_id,
        review_sentences.sentence as text,
        review_sentences.language,
        record_dimensions.day,
        review_sentences.kind || ':' || review_sentences.source || ':' || review_sentences.record_id
            as review_id,
        record_dimensions.product_id,
        record_dimensions.seller_id
    from review_sentences
    join record_dimensions using (kind, source, record_id, content_hash)
    where review_sentences.p_negative > review_sentences.p_positive
        and len(review_sentences.themes) = 0
        and coalesce(record_dimensions.rating <= $max_rating, true)
        and record_dimensions.first_seen <= $night
        and record_dimensions.day <= $night
        and record_dimensions.day > cast($night as date) - to_days(cast($days as integer))
)

select * from sentences
order by sentence_id
