package roles

import (
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"secprov"
)

func consumer() { kgo.NewClient(append(secprov.SecurityOpts(), kgo.ConsumeTopics("t"))...) }

func producer() { kgo.NewClient(append(secprov.SecurityOpts(), kgo.DefaultProduceTopic("t"))...) }

func admin() *kadm.Client {
	cl, _ := kgo.NewClient(secprov.SecurityOpts()...)
	return kadm.NewClient(cl)
}

func plain() { kgo.NewClient(kgo.ClientID("x")) } // want `without the security config`
