package editor

import (
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"
)

// TestNamedCoversEveryBinding keeps the config file's names in step with
// the key map: a binding added without a name could not be remapped.
func TestNamedCoversEveryBinding(t *testing.T) {
	k := DefaultKeyMap()
	named := map[*key.Binding]string{}
	names := map[string]bool{}
	for _, nb := range k.Named() {
		if names[nb.Name] {
			t.Errorf("name %q used twice", nb.Name)
		}
		names[nb.Name] = true
		named[nb.Binding] = nb.Name
	}
	v := reflect.ValueOf(&k).Elem()
	bindingType := reflect.TypeOf(key.Binding{})
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Type() != bindingType {
			continue
		}
		p := v.Field(i).Addr().Interface().(*key.Binding)
		if _, ok := named[p]; !ok {
			t.Errorf("binding %s has no name in Named", v.Type().Field(i).Name)
		}
	}
}
