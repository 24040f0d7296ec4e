package flagged // want package:"kafkareach\\(flags\\)"

import "flag"

var Brokers = flag.String("brokers", "", "seed brokers")
