-- depends_on: {{ ref('int_mispe_cells_sequenced') }}
-- The youth digests int_mispe_cells_sequenced was last built from: built after it, so a build
-- that fails before it leaves the previous record, and the next build redoes every youth
-- changed since (macros/incremental.sql reads it by name).
select youth_key, inputs_digest
from {{ ref('int_mispe_youth_inputs') }}
