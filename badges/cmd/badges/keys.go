package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strings"

	"conference/badges/token"
)

// loadSigner builds the token signer. keyFile holds an Ed25519 private key
// as PEM PKCS#8 ("openssl genpkey -algorithm ed25519") or as a 32-byte seed
// in hex or base64. With certFile (a kiosk certificate from the hub) the
// signer is a kiosk signer; otherwise it signs as the hub. Without keyFile
// it generates a throwaway key and warns: such badges verify nowhere else.
func loadSigner(keyFile, certFile string, stderr io.Writer) (*token.Signer, error) {
	if keyFile == "" {
		if certFile != "" {
			return nil, fmt.Errorf("--cert %s needs the kiosk's --key", certFile)
		}
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ephemeral key: %w", err)
		}
		fmt.Fprintln(stderr, "badges: warning: no --key (BADGES_KEY) given; signing with an ephemeral key, so these QR codes will not verify at any kiosk")
		return token.NewHubSigner(priv)
	}
	priv, err := readPrivateKey(keyFile)
	if err != nil {
		return nil, err
	}
	if certFile == "" {
		return token.NewHubSigner(priv)
	}
	text, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	var cert token.Certificate
	if err := cert.UnmarshalText([]byte(strings.TrimSpace(string(text)))); err != nil {
		return nil, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	s, err := token.NewKioskSigner(priv, cert)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	return s, nil
}

func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	if block, _ := pem.Decode(data); block != nil {
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", path, err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key %s: %T is not an Ed25519 key", path, k)
		}
		return priv, nil
	}
	text := strings.TrimSpace(string(data))
	for _, decode := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if seed, err := decode(text); err == nil && len(seed) == ed25519.SeedSize {
			return ed25519.NewKeyFromSeed(seed), nil
		}
	}
	return nil, fmt.Errorf("signing key %s: want PEM PKCS#8 or a 32-byte seed in hex or base64", path)
}
