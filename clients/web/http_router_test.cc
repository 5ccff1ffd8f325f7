#include "clients/web/http_router.h"

#include <gtest/gtest.h>

namespace ambi::web {
namespace {

RouteRequest Get(std::string_view target) {
  RouteRequest request;
  request.method = "GET";
  request.target = target;
  request.host = "127.0.0.1:8080";
  return request;
}

RouteRequest Post(std::string_view target, std::string_view origin) {
  RouteRequest request = Get(target);
  request.method = "POST";
  request.origin = origin;
  return request;
}

TEST(HttpRouter, ServesPageEventsAndApiOnLoopback) {
  EXPECT_EQ(RouteFor(Get("/")).kind, RouteKind::kStatic);
  EXPECT_EQ(RouteFor(Get("/")).path, "/index.html");
  EXPECT_EQ(RouteFor(Get("/app.js?v=1")).path, "/app.js");
  EXPECT_EQ(RouteFor(Get("/events")).kind, RouteKind::kEvents);
  EXPECT_EQ(RouteFor(Get("/events?last_event_id=4")).kind, RouteKind::kEvents);
  EXPECT_EQ(RouteFor(Get("/api/exercises")).kind, RouteKind::kExercises);
  EXPECT_EQ(RouteFor(Post("/api/set/start", "http://127.0.0.1:8080")).kind, RouteKind::kStartSet);
  EXPECT_EQ(RouteFor(Post("/api/set/end", "http://127.0.0.1:8080")).kind, RouteKind::kEndSet);
}

TEST(HttpRouter, ReportsAndCatalogNameTheirBox) {
  Route route = RouteFor(Get("/report/session/s1?box=floor-a"));
  EXPECT_EQ(route.kind, RouteKind::kSessionReport);
  EXPECT_EQ(route.param, "s1");
  EXPECT_EQ(route.box, "floor-a");
  route = RouteFor(Get("/report/athlete/sam?weeks=2&box=floor%20b"));
  EXPECT_EQ(route.kind, RouteKind::kAthleteReport);
  EXPECT_EQ(route.weeks, 2);
  EXPECT_EQ(route.box, "floor b");
  EXPECT_EQ(RouteFor(Get("/report/athlete/sam")).box, "");
  EXPECT_EQ(RouteFor(Get("/api/exercises?box=floor-a")).box, "floor-a");
  EXPECT_EQ(RouteFor(Get("/api/exercises?box=a%2Fb")).status, 400);
  EXPECT_EQ(RouteFor(Get("/report/session/s1?box=")).status, 400);
}

TEST(HttpRouter, RefusesWrongMethodsAndTargets) {
  RouteRequest put = Get("/");
  put.method = "PUT";
  EXPECT_EQ(RouteFor(put).status, 405);
  RouteRequest head = Get("/");
  head.method = "HEAD";
  EXPECT_EQ(RouteFor(head).status, 405);
  EXPECT_EQ(RouteFor(Get("index.html")).status, 400);
  EXPECT_EQ(RouteFor(Get("")).status, 400);
  EXPECT_EQ(RouteFor(Get("/" + std::string(kMaxTargetLength, 'a'))).status, 414);
  EXPECT_EQ(RouteFor(Get("/api/set/start")).status, 405);
  EXPECT_EQ(RouteFor(Post("/events", "http://127.0.0.1:8080")).status, 405);
  EXPECT_EQ(RouteFor(Get("/api/nothing")).status, 404);
  EXPECT_EQ(RouteFor(Post("/index.html", "http://127.0.0.1:8080")).status, 405);
}

TEST(HttpRouter, PostNeedsTheSameOrigin) {
  const Route missing = RouteFor(Post("/api/set/end", ""));
  EXPECT_EQ(missing.status, 403);
  const Route foreign = RouteFor(Post("/api/set/end", "http://evil.example"));
  EXPECT_EQ(foreign.status, 403);
  EXPECT_NE(foreign.message.find("evil.example"), std::string::npos);
  // Scheme matters: a page on http must not drive an https listener.
  RouteRequest tls = Post("/api/set/end", "http://127.0.0.1:8080");
  tls.tls = true;
  EXPECT_EQ(RouteFor(tls).status, 403);
  tls.origin = "https://127.0.0.1:8080";
  EXPECT_EQ(RouteFor(tls).kind, RouteKind::kEndSet);
}

TEST(HttpRouter, LanListenerNeedsPairingForEverythingButThePairingForm) {
  auto lan = [](RouteRequest request, bool paired) {
    request.host = "192.168.1.5:8080";
    if (!request.origin.empty()) request.origin = "http://192.168.1.5:8080";
    request.pairing_required = true;
    request.paired = paired;
    return RouteFor(request);
  };
  const Route page = lan(Get("/"), false);
  EXPECT_EQ(page.kind, RouteKind::kPairPage);
  EXPECT_EQ(page.status, 401);
  EXPECT_EQ(lan(Get("/events"), false).status, 401);
  EXPECT_EQ(lan(Get("/app.js"), false).status, 401);
  EXPECT_EQ(lan(Get("/api/exercises"), false).status, 401);
  EXPECT_EQ(lan(Post("/api/set/start", "x"), false).status, 401);
  EXPECT_EQ(lan(Post("/api/pair", "x"), false).kind, RouteKind::kPair);
  EXPECT_EQ(lan(Get("/"), true).kind, RouteKind::kStatic);
  EXPECT_EQ(lan(Get("/events"), true).kind, RouteKind::kEvents);
  // Pairing from another site is refused like any POST.
  RouteRequest forged = Post("/api/pair", "http://evil.example");
  forged.pairing_required = true;
  EXPECT_EQ(RouteFor(forged).status, 403);
}

TEST(HttpRouter, ParsesReportRoutes) {
  const Route session = RouteFor(Get("/report/session/s-2026-12-01-ana"));
  EXPECT_EQ(session.kind, RouteKind::kSessionReport);
  EXPECT_EQ(session.param, "s-2026-12-01-ana");
  const Route athlete = RouteFor(Get("/report/athlete/Ana%20Lima?weeks=12"));
  EXPECT_EQ(athlete.kind, RouteKind::kAthleteReport);
  EXPECT_EQ(athlete.param, "Ana Lima");
  EXPECT_EQ(athlete.weeks, 12);
  EXPECT_EQ(RouteFor(Get("/report/athlete/ana")).weeks, kDefaultReportWeeks);
  EXPECT_EQ(RouteFor(Get("/report/athlete/ana?x=1&weeks=52")).weeks, 52);
}

TEST(HttpRouter, RefusesBadReportParameters) {
  for (const char* target : {"/report/athlete/ana?weeks=0", "/report/athlete/ana?weeks=53",
                             "/report/athlete/ana?weeks=-1", "/report/athlete/ana?weeks=4x",
                             "/report/athlete/ana?weeks=", "/report/athlete/", "/report/session/",
                             "/report/athlete/an%0Aa", "/report/session/a%2Fb",
                             "/report/session/a%zz", "/report/session/a%4"}) {
    const Route route = RouteFor(Get(target));
    EXPECT_EQ(route.kind, RouteKind::kError) << target;
    EXPECT_EQ(route.status, 400) << target;
    EXPECT_FALSE(route.message.empty()) << target;
  }
  const std::string long_name = "/report/athlete/" + std::string(kMaxReportParamLength + 1, 'a');
  EXPECT_EQ(RouteFor(Get(long_name)).status, 400);
  const std::string fits = "/report/athlete/" + std::string(kMaxReportParamLength, 'a');
  EXPECT_EQ(RouteFor(Get(fits)).kind, RouteKind::kAthleteReport);
  EXPECT_EQ(RouteFor(Get("/report/other/x")).status, 404);
  EXPECT_EQ(RouteFor(Post("/report/session/x", "http://127.0.0.1:8080")).status, 405);
}

TEST(HttpRouter, ReportsNeedPairingOnLan) {
  RouteRequest request = Get("/report/athlete/ana");
  request.pairing_required = true;
  EXPECT_EQ(RouteFor(request).status, 401);
  request.paired = true;
  EXPECT_EQ(RouteFor(request).kind, RouteKind::kAthleteReport);
}

}  // namespace
}  // namespace ambi::web
