/* lsc: the locally significant certificate (LSC) of a device — checking
 * the public key a device generated is the one asked for, issuing its LSC
 * under the cluster CA, and checking the certificate-mode signatures a
 * phone authenticates with. Used by the CAPF role and by EST on the admin
 * API. Pure functions over OpenSSL objects (borrowed unless said
 * otherwise), no I/O. */
#ifndef WARD_PKI_LSC_H
#define WARD_PKI_LSC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Parses DER SubjectPublicKeyInfo (exactly LEN bytes) and checks it is
 * the key asked for: KEY_TYPE 0 RSA of BITS bits (exponent 65537), 1 EC on
 * P-256 (BITS 256) or P-384 (384). *out transferred. 0, or -1 with the
 * reason in WHY. */
int pki_lsc_pubkey_check(const uint8_t *der, size_t len, uint32_t key_type,
			 uint32_t bits, EVP_PKEY **out, char *why,
			 size_t whycap);

/* Issues the LSC of DEVICE for PUB, signed by CA_CERT / CA_KEY (SHA-256):
 * subject CN = DEVICE, O = ward, OU = lsc; URI SAN DEVICE; keyUsage
 * digitalSignature (+keyEncipherment for RSA); extendedKeyUsage
 * serverAuth, clientAuth; a random 127-bit serial; valid from an hour ago
 * for DAYS (capped at the CA's notAfter). *out transferred. 0 or -1. */
int pki_lsc_issue(X509 *ca_cert, EVP_PKEY *ca_key, EVP_PKEY *pub,
		  const char *device, unsigned days, X509 **out, char *why,
		  size_t whycap);

/* Checks what a phone signed to authenticate: DEVICE, a NUL, then the DER
 * of CERT, signed with CERT's key under SHA-1 (SIG1) and under SHA-512
 * (SIG512); both must be present and verify. 0, or -1 with the reason. */
int pki_lsc_auth_sig_verify(X509 *cert, const char *device, const uint8_t *sig1,
			    size_t sig1_len, const uint8_t *sig512,
			    size_t sig512_len, char *why, size_t whycap);

#endif
