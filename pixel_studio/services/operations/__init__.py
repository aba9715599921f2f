"""Operations: recovering lost jobs and deliveries, the orphan-file sweep."""
