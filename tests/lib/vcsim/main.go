// vcsim for v2kvm's tests: govmomi's vSphere simulator (package
// simulator, from Debian's golang-github-vmware-govmomi-dev) on
// 127.0.0.1 with TLS (-cert/-key, else the simulator's own), an ESX (-model esx) or vCenter (-model vpx)
// inventory, and one login (-user, password from -passfile).  Its
// datastores are directories under $TMPDIR (the test chooses it).  The
// VMs named by -poweroff are powered off through the API; the others
// stay poweredOn.  Prints KEY=VALUE lines (HOSTPORT, DC, DATASTORE,
// DSDIR, VMS) and runs until SIGTERM or SIGINT.  -trace logs the SOAP
// traffic to stderr (the tests look for a client's Logout there).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io/ioutil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "vcsim: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	model := flag.String("model", "esx", "esx or vpx")
	user := flag.String("user", "root", "the login user")
	passFile := flag.String("passfile", "", "a file: its first line is the password")
	off := flag.String("poweroff", "", "VM names to power off, comma-separated")
	certFile := flag.String("cert", "", "TLS certificate (PEM); default: the simulator's")
	keyFile := flag.String("key", "", "its private key (PEM)")
	trace := flag.Bool("trace", false, "every SOAP request and answer to stderr")
	flag.Parse()
	simulator.Trace = *trace

	pw, err := ioutil.ReadFile(*passFile)
	if err != nil {
		die("%v", err)
	}
	pass := strings.SplitN(string(pw), "\n", 2)[0]

	m := simulator.ESX()
	if *model == "vpx" {
		m = simulator.VPX()
	}
	if err := m.Create(); err != nil {
		die("%v", err)
	}
	defer m.Remove()
	m.Service.TLS = new(tls.Config)
	if *certFile != "" {
		// The built-in certificate has a 1024-bit key, which OpenSSL
		// at Debian's security level refuses even when trusted.
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			die("%v", err)
		}
		m.Service.TLS.Certificates = []tls.Certificate{cert}
	}
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0",
		User: url.UserPassword(*user, pass)}
	s := m.Service.NewServer()
	defer s.Close()

	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, s.URL, true)
	if err != nil {
		die("login: %v", err)
	}
	finder := find.NewFinder(c.Client, true)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		die("%v", err)
	}
	finder.SetDatacenter(dc)
	for _, name := range strings.Split(*off, ",") {
		if name == "" {
			continue
		}
		vm, err := finder.VirtualMachine(ctx, name)
		if err != nil {
			die("%v", err)
		}
		task, err := vm.PowerOff(ctx)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			die("power off %s: %v", name, err)
		}
	}
	ds, err := finder.DefaultDatastore(ctx)
	if err != nil {
		die("%v", err)
	}
	sds := simulator.Map.Get(ds.Reference()).(*simulator.Datastore)
	vms, err := finder.VirtualMachineList(ctx, "*")
	if err != nil {
		die("%v", err)
	}
	var names []string
	for _, vm := range vms {
		names = append(names, vm.Name())
	}
	_ = c.Logout(ctx)

	fmt.Printf("HOSTPORT=%s\nDC=%s\nDATASTORE=%s\nDSDIR=%s\nVMS=%s\n",
		s.URL.Host, dc.Name(), ds.Name(),
		sds.Info.GetDatastoreInfo().Url, strings.Join(names, ","))
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
