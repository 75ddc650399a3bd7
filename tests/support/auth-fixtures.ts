// Users and password hashes made by the system's crypt(3) (libxcrypt, through
// Python's crypt module) and by `openssl passwd -5/-6`, the tools an operator
// uses for HAProxy userlists. The unit tests check that sluice accepts each
// password and refuses a wrong one; the e2e test checks HAProxy 2.6 agrees.
//
// Made with: python3 -c 'import crypt; print(crypt.crypt(PASSWORD, SETTING))'
// (settings such as $2b$05$abcdefghijklmnopqrstuu, $5$rounds=1234$abc./XYZ)
// and: openssl passwd -6 -salt SALT PASSWORD.

export interface AuthFixture {
  /** What it exercises. */
  readonly label: string;
  readonly user: string;
  readonly password: string;
  readonly hash: string;
}

export const AUTH_FIXTURES: readonly AuthFixture[] = [
  { label: "bcrypt-2b", user: "tiger", password: "s3cret", hash: "$2b$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK" },
  { label: "bcrypt-2a", user: "scott", password: "elgato", hash: "$2a$04$ABCDEFGHIJKLMNOPQRSTUuyjG56SpbE2D1WNaIvFcDTJm05ltFeQW" },
  { label: "bcrypt-2y", user: "xdb", password: "hello world", hash: "$2y$04$0123456789./abcdefghiu69I8DpQKd0k8AmuhWuUpIBEerTxhYk." },
  { label: "bcrypt-long", user: "long", password: "x".repeat(80), hash: "$2b$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i" },
  { label: "bcrypt-utf8", user: "anna", password: "pässwörd", hash: "$2b$04$abcdefghijklmnopqrstuuyx2n0Zzopyr9QuYTMCfOJJOj526QVoC" },
  { label: "sha256-openssl", user: "five", password: "pass5", hash: "$5$s5salt$hu/RP5fk1k3uhjIrbBBQEi7PbyL1SzrGxX8kzYm7SjB" },
  { label: "sha512-openssl", user: "six", password: "pass6", hash: "$6$s6saltsaltsalt16$tKIOafUTlJF9.HI6huqT9JDFRxI/PMLNjH8pMIgSSe02mr4imjnIrXhavcqWSMnMqResi7HxYNVzeYcLxsNsB." },
  { label: "sha256-rounds", user: "r5", password: "rounds five", hash: "$5$rounds=1234$abc./XYZ$2ICqK0d6xtjeFLIlljFOdO/k79rUEDv2/6MVTR435O/" },
  { label: "sha512-rounds", user: "r6", password: "rounds six", hash: "$6$rounds=20000$Zz09$OAfErzpZ8KDB1FbdSRVQu6vufT2yZYAp1CW.J9iLEomeIiyhcDxKzgZDmCcdoeKKKhRb2ENZWlnyrEr8XxN5p1" },
  { label: "sha256-32", user: "b32", password: "a".repeat(32), hash: "$5$saltsalt$tWapoD8pPXtbv36Daa/gvGzhHl1q7GaspUoh386s.vD" },
  { label: "sha512-64", user: "b64", password: "b".repeat(64), hash: "$6$saltsalt$fAyfSXoJG8..Ix66W9oPPrsqIRzthtvCI1viP/Sqve/6lyxw2X60c.uXrZCAlvvPjLsm2wiGBdPIaxlb1dozI0" },
  { label: "sha512-empty", user: "empty", password: "", hash: "$6$emptypw$TWmzQ8/uLn1BFSZ5Lkfum8lAba5vixF9Nl3Aiof.Praatq9nh0kkPuTdoVrIL6du0L6LAoadbPq.q.D7keveg/" },
  { label: "sha512-nosalt", user: "nosalt", password: "pw", hash: "$6$$Z7WSO9A8tKGD2oGB9t2ViKdYTIHgnjMZIbdOJElGnO.QoZE5zDsfnF1WHM.IL2KPxhNG4/v/zU9LBcGhxg5Uy." },
];
