update seller_feedback
set needs_scoring = false
from (select source, record_id, content_hash from batch_scores where kind = 'seller_feedback') as scored
where seller_feedback.source = scored.source
    and seller_feedback.feedback_id = scored.record_id
    and seller_feedback.content_hash = scored.content_hash
