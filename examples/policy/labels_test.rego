package main

import rego.v1

test_missing_labels_warn if {
	warn == {"label org.opencontainers.image.source is missing", "label org.opencontainers.image.revision is missing"} with input as {"image": {"config": {"labels": {}}}}
}

test_present_labels_quiet if {
	count(warn) == 0 with input as {"image": {"config": {"labels": {"org.opencontainers.image.source": "https://git.example/app", "org.opencontainers.image.revision": "abc123"}}}}
}
