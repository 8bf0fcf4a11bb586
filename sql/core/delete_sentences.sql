-- Drop every stored sentence of the records in batch_sentence_records (older texts and model versions).
delete from review_sentences
using batch_sentence_records as batch
where review_sentences.kind = batch.kind
    and review_sentences.source = batch.source
    and review_sentences.record_id = batch.record_id
