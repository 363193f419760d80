package run

import (
	"encoding/json"
	"testing"
)

func TestFileChange_JSON(t *testing.T) {
	tests := []struct {
		name string
		wire string
		path string
	}{
		{"utf-8 path", `{"path":"a/b.txt","size":3}`, "a/b.txt"},
		{"non-utf-8 path, exact in base64", `{"path":"caf\ufffd.txt","path_base64":"Y2Fm6S50eHQ=","size":3}`, "caf\xe9.txt"},
		{"record written before path_base64", `{"path":"Y2Fm6S50eHQ=","path_encoding":"base64","size":3}`, "caf\xe9.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fc FileChange
			if err := json.Unmarshal([]byte(tc.wire), &fc); err != nil {
				t.Fatal(err)
			}
			if fc.Path != tc.path || fc.Size != 3 {
				t.Fatalf("read %+v, want path %q", fc, tc.path)
			}
			again, err := json.Marshal(fc)
			if err != nil {
				t.Fatal(err)
			}
			var back FileChange
			if err := json.Unmarshal(again, &back); err != nil || back != fc {
				t.Fatalf("round trip %s gave %+v (%v)", again, back, err)
			}
		})
	}
	var fc FileChange
	if err := json.Unmarshal([]byte(`{"path":"x","path_encoding":"rot13"}`), &fc); err == nil {
		t.Error("an unknown encoding was accepted")
	}
}
