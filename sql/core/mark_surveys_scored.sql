update survey_responses
set needs_scoring = false
from (select source, record_id, content_hash from batch_scores where kind = 'survey_responses') as scored
where survey_responses.source = scored.source
    and survey_responses.response_id = scored.record_id
    and survey_responses.content_hash = scored.content_hash
