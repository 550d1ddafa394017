"""The input contract: rule registry, one pandera schema per read sheet, findings in French."""
