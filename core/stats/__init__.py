"""Statistics and reports: figures per organisation unit × month × procedure, from indexed columns.

``track`` keeps each case's countable facts (tier, deadlines missed, reopens, evaluations) up to
date in the step's own transaction; ``figures`` reads them back as reports; ``export`` writes
them as xlsx, csv or json. The TUI and CLI only display what these return.
"""
