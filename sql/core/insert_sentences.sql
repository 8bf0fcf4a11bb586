insert into review_sentences
with batch as (
    select * from batch_sentences
)

select
    kind, source, record_id, content_hash, sentence_index, start_char, end_char, sentence, language,
    sentiment, p_negative, p_positive, themes, theme_scores, text_key, model_version, $night
from batch
