import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { SessionProvider } from "./auth/session";
import { Layout } from "./components/Layout";
import { AdminPage } from "./pages/AdminPage";
import { AlertChannelsPage } from "./pages/AlertChannelsPage";
import { AlertHistoryPage } from "./pages/AlertHistoryPage";
import { AlertRulesPage } from "./pages/AlertRulesPage";
import { AppStatusPage } from "./pages/AppStatusPage";
import { AdminAuditPage, GroupAuditPage } from "./pages/AuditPages";
import { GroupPage } from "./pages/GroupPage";
import { GroupsPage } from "./pages/GroupsPage";
import { LoginPage } from "./pages/LoginPage";
import { LogsPage } from "./pages/LogsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RedactionRulesPage } from "./pages/RedactionRulesPage";
import { RegisterAppPage } from "./pages/RegisterAppPage";
import { TailPage } from "./pages/TailPage";
import { TokensPage } from "./pages/TokensPage";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("no #root element");

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <Routes>
          <Route path="/login" element={<LoginPage mode="login" />} />
          <Route path="/signup" element={<LoginPage mode="signup" />} />
          <Route element={<Layout />}>
            <Route index element={<Navigate to="/groups" replace />} />
            <Route path="/groups" element={<GroupsPage />} />
            <Route path="/groups/:group" element={<GroupPage />} />
            <Route path="/groups/:group/audit" element={<GroupAuditPage />} />
            <Route path="/groups/:group/alert-channels" element={<AlertChannelsPage />} />
            <Route path="/apps/new" element={<RegisterAppPage />} />
            <Route path="/apps/:slug" element={<AppStatusPage />} />
            <Route path="/apps/:slug/logs" element={<LogsPage />} />
            <Route path="/apps/:slug/tail" element={<TailPage />} />
            <Route path="/apps/:slug/alerts" element={<AlertRulesPage />} />
            <Route path="/apps/:slug/alerts/history" element={<AlertHistoryPage />} />
            <Route path="/apps/:slug/redactions" element={<RedactionRulesPage />} />
            <Route path="/admin" element={<AdminPage />} />
            <Route path="/admin/audit" element={<AdminAuditPage />} />
            <Route path="/account/tokens" element={<TokensPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);
