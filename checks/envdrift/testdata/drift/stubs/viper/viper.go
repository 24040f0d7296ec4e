// Package viper is a signature stub of github.com/spf13/viper.
package viper

import "strings"

type Viper struct{}

func New() *Viper                                      { return &Viper{} }
func (v *Viper) SetEnvPrefix(p string)                 {}
func (v *Viper) AutomaticEnv()                         {}
func (v *Viper) SetEnvKeyReplacer(r *strings.Replacer) {}
func (v *Viper) BindEnv(in ...string) error            { return nil }
func (v *Viper) GetString(key string) string           { return "" }
func (v *Viper) GetInt(key string) int                 { return 0 }

func SetEnvPrefix(p string)                 {}
func AutomaticEnv()                         {}
func SetEnvKeyReplacer(r *strings.Replacer) {}
func BindEnv(in ...string) error            { return nil }
func GetString(key string) string           { return "" }
func SetDefault(key string, value any)      {}
