update reviews
set needs_scoring = false
from (select source, record_id, content_hash from batch_scores where kind = 'reviews') as scored
where reviews.source = scored.source
    and reviews.review_id = scored.record_id
    and reviews.content_hash = scored.content_hash
